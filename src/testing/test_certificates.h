// Test-only: a throwaway CA and certificates it signs, written as PEM files, for TLS tests on loopback.
// Made with OpenSSL at test time (P-256 keys), so no key or certificate is kept in the tree.
#pragma once

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <string>

namespace keylink::testing {

class TestCa {
 public:
  struct Issued {
    std::string cert_file;  // the leaf, then the CA: a chain as a server sends it
    std::string key_file;
  };

  // Writes the CA's certificate to `ca_file`.
  TestCa(const std::string& name, const std::string& ca_file) : key_(EVP_EC_gen("P-256")) {
    cert_ = make(name, key_.get(), nullptr, key_.get(), "critical,CA:TRUE", "", 0, 3600);
    write_cert(ca_file, {cert_.get()});
  }

  // A server certificate for `alt_names` ("IP:127.0.0.1,DNS:localhost"), valid from `from` to `until`
  // seconds from now, written as `stem`.pem and `stem`.key.
  Issued issue(const std::string& stem, const std::string& alt_names, long from = -60, long until = 3600) {
    Key key(EVP_EC_gen("P-256"));
    Cert cert = make("keylink test server", key.get(), cert_.get(), key_.get(), "CA:FALSE", alt_names, from, until);
    Issued out{stem + ".pem", stem + ".key"};
    write_cert(out.cert_file, {cert.get(), cert_.get()});
    File file(std::fopen(out.key_file.c_str(), "w"));
    PEM_write_PrivateKey(file.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
    return out;
  }

 private:
  struct Free {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
    void operator()(X509* p) const { X509_free(p); }
    void operator()(std::FILE* p) const { std::fclose(p); }
  };
  using Key = std::unique_ptr<EVP_PKEY, Free>;
  using Cert = std::unique_ptr<X509, Free>;
  using File = std::unique_ptr<std::FILE, Free>;

  static void extend(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX context;
    X509V3_set_ctx(&context, issuer ? issuer : cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.c_str());
    X509_add_ext(cert, extension, -1);
    X509_EXTENSION_free(extension);
  }

  Cert make(const std::string& name, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, const std::string& basic,
            const std::string& alt_names, long from, long until) {
    Cert cert(X509_new());
    X509_set_version(cert.get(), 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), ++serial_);
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), from);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), until);
    X509_set_pubkey(cert.get(), key);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
    X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer ? issuer : cert.get()));
    extend(cert.get(), issuer, NID_basic_constraints, basic);
    if (!alt_names.empty()) extend(cert.get(), issuer, NID_subject_alt_name, alt_names);
    X509_sign(cert.get(), issuer_key, EVP_sha256());
    return cert;
  }

  static void write_cert(const std::string& path, std::initializer_list<X509*> chain) {
    File file(std::fopen(path.c_str(), "w"));
    for (X509* cert : chain) PEM_write_X509(file.get(), cert);
  }

  Key key_;
  Cert cert_;
  long serial_ = 0;
};

}  // namespace keylink::testing
