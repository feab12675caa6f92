import CNGHTTP2

extension HTTP2Session {
    /// Ends the connection for cause: a GOAWAY with `errorCode` naming the last stream processed,
    /// after which nghttp2 reads nothing more and stops wanting to read once the GOAWAY is out
    /// (the owner then closes the socket). Unlike `submitGoaway`, streams in flight are not
    /// waited for: this is for a peer that abuses the connection.
    public func terminate(errorCode: UInt32) {
        guard !isTerminating else { return }
        isTerminating = true
        _ = nghttp2_session_terminate_session(handle, errorCode)
    }
}
