// The relay's log lines are logfmt: key=value pairs on one line. A value that someone outside chose (a
// close reason, a JWT's aud, an exception's text) goes through logfmt_value, so that it can neither end
// the line nor forge a key, nor carry terminal escape sequences to whoever reads the log.
#pragma once

#include <string>
#include <string_view>

namespace keylink::relay {

// `text` as a quoted logfmt value: `"` and `\` escaped with a backslash, \n \r \t as such, and every
// other byte outside printable ASCII (control characters, DEL, and all bytes >= 0x80, so no C1 control
// in UTF-8 either) as \xNN.
std::string logfmt_value(std::string_view text);

}  // namespace keylink::relay
