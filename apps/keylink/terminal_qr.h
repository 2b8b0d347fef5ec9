// QR codes drawn in a terminal: with Unicode half blocks (two modules per character cell) where the
// terminal shows UTF-8, and with reverse-video spaces (two cells per module) where it may not.
#pragma once

#include <string>
#include <string_view>

#include "keylink/base/result.h"

namespace keylink::cli {

enum class QrCells {
  kHalfBlocks,     // U+2580, U+2584, U+2588: a square module in half a cell; needs UTF-8.
  kReverseSpaces,  // ASCII spaces in ANSI reverse video (ESC[7m), two per module; needs no charset.
};

// kHalfBlocks when the locale the environment names (LC_ALL, else LC_CTYPE, else LANG, as the C
// library reads them) is a UTF-8 one, kReverseSpaces otherwise (no locale, C, POSIX, Latin-1).
QrCells terminal_qr_cells();

// Light modules are drawn as filled cells, for the usual light-on-dark terminal, with a quiet zone of
// four modules. Fails only when the text is too long for any QR code (libqrencode's limit).
Result<std::string> render_terminal_qr(std::string_view text, QrCells cells = terminal_qr_cells());

}  // namespace keylink::cli
