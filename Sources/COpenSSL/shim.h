#ifndef XSC_COPENSSL_SHIM_H
#define XSC_COPENSSL_SHIM_H
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

/* Function forms of OpenSSL macros, which Swift cannot call. */
static inline int xsc_ssl_set_server_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

static inline int xsc_ssl_ctx_require_tls12(SSL_CTX *ctx) {
    return (int)SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
}

/* No renegotiation, no compression, the server's cipher order (macros built from SSL_OP_BIT). */
static inline void xsc_ssl_ctx_harden(SSL_CTX *ctx) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
}

static inline unsigned long xsc_name_flags_rfc2253(void) {
    return XN_FLAG_RFC2253;
}

static inline X509 *xsc_ssl_peer_certificate(const SSL *ssl) {
    return SSL_get_peer_certificate(ssl);
}

/* ALPN for servers: the server's protocols in preference order, in the wire format
   (length-prefixed names) after one byte holding that format's total length. The first of
   them the client also offers is chosen; a client that offers ALPN but none of them gets
   the fatal no_application_protocol alert (RFC 7301, section 3.2). */
static int xsc_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                           const unsigned char *in, unsigned int inlen, void *arg) {
    (void)ssl;
    const unsigned char *list = (const unsigned char *)arg;
    unsigned char *chosen = NULL;
    if (SSL_select_next_proto(&chosen, outlen, list + 1, list[0], in, inlen) != OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    }
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

/* `list` must outlive the context (see xsc_alpn_select for its format). */
static inline void xsc_ssl_ctx_set_alpn_protocols(SSL_CTX *ctx, const unsigned char *list) {
    SSL_CTX_set_alpn_select_cb(ctx, xsc_alpn_select, (void *)list);
}
#endif
