// xmtp_peer ops for ... (requests listed here as in xmtp_peer.cc).
#include "xmtp_peer.h"

namespace keylink::interop {

void add_identity_ops(Ops&) {}

}  // namespace keylink::interop
