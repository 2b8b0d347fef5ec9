#include "tls_context.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <boost/asio/ip/address.hpp>
#include <boost/beast/core/error.hpp>

#include "keylink/relay/errors.h"

namespace keylink::relay {
namespace asio = boost::asio;

namespace {

// The first error OpenSSL queued ("no such file", "key values mismatch"), and the queue emptied.
std::string openssl_reason() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  const char* reason = code == 0 ? nullptr : ERR_reason_error_string(code);
  return reason ? reason : "unknown error";
}

asio::ssl::context tls12_context(asio::ssl::context::method method) {
  asio::ssl::context context(method);
  SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_options(context.native_handle(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  return context;
}

}  // namespace

Result<asio::ssl::context> client_tls_context(const std::string& ca_file) {
  asio::ssl::context context = tls12_context(asio::ssl::context::tls_client);
  SSL_CTX_set_verify(context.native_handle(), SSL_VERIFY_PEER, nullptr);
  const int loaded = ca_file.empty() ? SSL_CTX_set_default_verify_paths(context.native_handle())
                                     : SSL_CTX_load_verify_locations(context.native_handle(), ca_file.c_str(), nullptr);
  if (loaded != 1) {
    if (ca_file.empty())
      return fail(Errc::kBadOption, "cannot load the system's trusted certificates: " + openssl_reason());
    return fail(Errc::kBadOption, "cannot load the CA certificates of '" + ca_file + "': " + openssl_reason());
  }
  return context;
}

Result<asio::ssl::context> server_tls_context(const std::string& cert_file, const std::string& key_file) {
  asio::ssl::context context = tls12_context(asio::ssl::context::tls_server);
  SSL_CTX* native = context.native_handle();
  if (SSL_CTX_use_certificate_chain_file(native, cert_file.c_str()) != 1) {
    return fail(Errc::kBadOption, "cannot use the TLS certificate '" + cert_file + "': " + openssl_reason());
  }
  if (SSL_CTX_use_PrivateKey_file(native, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return fail(Errc::kBadOption, "cannot use the TLS key '" + key_file + "': " + openssl_reason());
  }
  return context;
}

Result<void> expect_server_name(SSL* ssl, const std::string& host) {
  boost::system::error_code not_an_address;
  asio::ip::make_address(host, not_an_address);
  const bool ok = not_an_address
                      ? SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 && SSL_set1_host(ssl, host.c_str()) == 1
                      : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) == 1;
  if (!ok) return fail(Errc::kBadOption, "cannot check a TLS certificate for '" + host + "': " + openssl_reason());
  return {};
}

std::string describe_handshake_failure(const SSL* ssl, const boost::system::error_code& error) {
  if (const long verified = SSL_get_verify_result(ssl); verified != X509_V_OK) {
    return std::string("the relay's TLS certificate does not verify: ") + X509_verify_cert_error_string(verified);
  }
  if (error == boost::beast::error::timeout) return "TLS handshake timed out";
  return "TLS handshake failed: " + error.message();
}

}  // namespace keylink::relay
