#include "terminal_qr.h"

#include <qrencode.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>

#include "keylink/wire/errors.h"

namespace keylink::cli {
namespace {

constexpr int kQuietZone = 4;

bool names_utf8(std::string name) {
  std::ranges::transform(name, name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name.find("utf-8") != std::string::npos || name.find("utf8") != std::string::npos;
}

// The code's modules with its quiet zone around them, from -kQuietZone to width + kQuietZone.
struct Modules {
  const QRcode& qr;
  int begin() const { return -kQuietZone; }
  int end() const { return qr.width + kQuietZone; }
  bool light(int x, int y) const {
    const bool inside = x >= 0 && y >= 0 && x < qr.width && y < qr.width;
    return !inside || (qr.data[y * qr.width + x] & 1) == 0;
  }
};

std::string draw_half_blocks(const Modules& modules) {
  std::string out;
  for (int y = modules.begin(); y < modules.end(); y += 2) {
    for (int x = modules.begin(); x < modules.end(); ++x) {
      const bool top = modules.light(x, y), bottom = modules.light(x, y + 1);
      out += top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ";
    }
    out += '\n';
  }
  return out;
}

// Two spaces make a square module in the usual cell of about 1:2; the escape codes come only where the
// shade changes, and each line ends in the normal one.
std::string draw_reverse_spaces(const Modules& modules) {
  std::string out;
  for (int y = modules.begin(); y < modules.end(); ++y) {
    bool reversed = false;
    for (int x = modules.begin(); x < modules.end(); ++x) {
      if (modules.light(x, y) != reversed) {
        reversed = !reversed;
        out += reversed ? "\033[7m" : "\033[0m";
      }
      out += "  ";
    }
    out += reversed ? "\033[0m\n" : "\n";
  }
  return out;
}

}  // namespace

QrCells terminal_qr_cells() {
  // The first one set decides, as in setlocale(3); the name is read, not loaded, because a UTF-8 terminal
  // often names a locale (en_US.UTF-8 over ssh) that a minimal machine has not generated.
  for (const char* variable : {"LC_ALL", "LC_CTYPE", "LANG"}) {
    const char* value = std::getenv(variable);
    if (value != nullptr && *value != '\0') return names_utf8(value) ? QrCells::kHalfBlocks : QrCells::kReverseSpaces;
  }
  return QrCells::kReverseSpaces;
}

Result<std::string> render_terminal_qr(std::string_view text, QrCells cells) {
  const std::string owned(text);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> qr(QRcode_encodeString(owned.c_str(), 0, QR_ECLEVEL_L, QR_MODE_8, 1),
                                                     &QRcode_free);
  if (!qr) return fail(wire::Errc::kTooLarge, "text too long for a QR code");
  const Modules modules{*qr};
  return cells == QrCells::kHalfBlocks ? draw_half_blocks(modules) : draw_reverse_spaces(modules);
}

}  // namespace keylink::cli
