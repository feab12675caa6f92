import TLS

/// Which certificates an HTTPS request trusts, named here so that callers of the HTTP client
/// (the SMS gateway provider) need not import the TLS wrapper.
public typealias TLSTrust = TLS.TLSTrust
