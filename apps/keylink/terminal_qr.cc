#include "terminal_qr.h"

#include <qrencode.h>

#include <memory>

#include "keylink/wire/errors.h"

namespace keylink::cli {
namespace {

constexpr int kQuietZone = 4;

}  // namespace

Result<std::string> render_terminal_qr(std::string_view text) {
  const std::string owned(text);
  std::unique_ptr<QRcode, decltype(&QRcode_free)> qr(QRcode_encodeString(owned.c_str(), 0, QR_ECLEVEL_L, QR_MODE_8, 1),
                                                     &QRcode_free);
  if (!qr) return fail(wire::Errc::kTooLarge, "text too long for a QR code");
  const int width = qr->width;
  auto light = [&](int x, int y) {
    const bool inside = x >= 0 && y >= 0 && x < width && y < width;
    return !inside || (qr->data[y * width + x] & 1) == 0;
  };
  std::string out;
  for (int y = -kQuietZone; y < width + kQuietZone; y += 2) {
    for (int x = -kQuietZone; x < width + kQuietZone; ++x) {
      const bool top = light(x, y), bottom = light(x, y + 1);
      out += top && bottom ? "\u2588" : top ? "\u2580" : bottom ? "\u2584" : " ";
    }
    out += '\n';
  }
  return out;
}

}  // namespace keylink::cli
