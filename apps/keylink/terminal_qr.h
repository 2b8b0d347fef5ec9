// QR codes drawn in a terminal with Unicode half blocks, two modules per character cell.
#pragma once

#include <string>
#include <string_view>

#include "keylink/base/result.h"

namespace keylink::cli {

// Light modules are drawn as filled cells, for the usual light-on-dark terminal, with a quiet zone of
// four modules. Fails only when the text is too long for any QR code (libqrencode's limit).
Result<std::string> render_terminal_qr(std::string_view text);

}  // namespace keylink::cli
