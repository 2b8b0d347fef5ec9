// Text that someone else wrote (a chat message, an app's name, a topic, a method, a reason), made safe
// to show on a terminal: a terminal acts on control characters instead of showing them, so a peer could
// otherwise move the cursor, rewrite what is on screen, change the window title or reverse the order of
// what follows. Everything printed for a person that a remote party can influence goes through
// escape_for_terminal(); JSON output is exact and does not.
//
// Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace keylink {

// `text` with each of these written as a visible escape instead:
//   - C0 controls and DEL: "\n", "\r", "\t", else "\x1b" (two hex digits);
//   - C1 controls U+0080-U+009F, the bidi controls U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069,
//     and the line and paragraph separators U+2028, U+2029: "\u{202e}";
//   - each byte that is not part of well-formed UTF-8 (overlong, surrogate, above U+10FFFF, cut short):
//     "\xff".
// The result is well-formed UTF-8 with none of those, so escaping it again changes nothing.
std::string escape_for_terminal(std::string_view text);

// True when `text` is well-formed UTF-8 that escape_for_terminal() leaves unchanged, except for "\n"
// when `allow_newlines`.
bool is_printable_text(std::string_view text, bool allow_newlines = false);

}  // namespace keylink
