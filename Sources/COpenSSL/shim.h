#ifndef HOOKLINE_COPENSSL_SHIM_H
#define HOOKLINE_COPENSSL_SHIM_H

// Only libcrypto: Hookline uses OpenSSL for HMAC and constant-time comparison, never for TLS.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/err.h>
#include <openssl/opensslv.h>

#endif
