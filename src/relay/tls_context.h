// The OpenSSL contexts of the relay's two ends, and what a failed client handshake means: TLS 1.2 or
// later, certificates verified (the client) and proven by their key (the server).
#pragma once

#include <utility>  // before Boost.Asio (Boost 1.74, g++ 12, C++20)

#include <boost/asio/ssl/context.hpp>
#include <boost/system/error_code.hpp>
#include <string>

#include <openssl/ssl.h>

#include "keylink/base/result.h"

namespace keylink::relay {

// Peers are verified against the PEM CA certificates of `ca_file`, or, when it is empty, against the
// system's trust store (OpenSSL's default paths). Fails (Errc::kBadOption) when they cannot be loaded.
Result<boost::asio::ssl::context> client_tls_context(const std::string& ca_file);

// Serves the PEM certificate chain of `cert_file` (the server's own first) with the key of `key_file`.
// Fails (Errc::kBadOption) with the file and OpenSSL's reason when either cannot be used ("key values
// mismatch": the key is not the certificate's).
Result<boost::asio::ssl::context> server_tls_context(const std::string& cert_file, const std::string& key_file);

// REQUIRES: `ssl` will be used by a client of `host` (a DNS name, or an IP address without brackets).
// Sends the name in SNI (never an address: RFC 6066) and makes verification check the certificate
// names that name or address. Fails when OpenSSL refuses the name.
Result<void> expect_server_name(SSL* ssl, const std::string& host);

// Why a client handshake on `ssl` failed with `error`, for a person: the certificate's verification
// failure when there was one ("the relay's TLS certificate does not verify: certificate has expired"),
// else the handshake's error.
std::string describe_handshake_failure(const SSL* ssl, const boost::system::error_code& error);

}  // namespace keylink::relay
