import COpenSSL

extension TLSError {
    /// `context` plus OpenSSL's queued reasons (the queue is per thread: emptied here so a
    /// later call on this thread does not report them again).
    static func fromQueue(_ context: String) -> TLSError {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var text = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &text, text.count)
            reasons.append(String(cString: text))
        }
        return TLSError(reasons.isEmpty ? context : context + ": " + reasons.joined(separator: "; "))
    }
}
