import COpenSSL

/// OpenSSL's state for the whole process (libcrypto is shared by our TLS and by libpq, which
/// uses it for SCRAM and for TLS to PostgreSQL).
public enum OpenSSLProcess {
    /// Call first thing in `main`, before anything touches libcrypto. By default OpenSSL frees
    /// its global state in an `atexit` handler; a service exits while its executor's threads
    /// and the pool's connection threads still run, and one of them calling into libcrypto
    /// after that cleanup crashed the process on its way out (SIGSEGV in libcrypto's init code,
    /// seen in the kernel log after test runs). The memory is the kernel's to reclaim at exit.
    /// Only the first initialisation decides, so this must come before libpq's first connect.
    public static func keepStateUntilExit() {
        _ = OPENSSL_init_crypto(UInt64(OPENSSL_INIT_NO_ATEXIT), nil)
    }
}
