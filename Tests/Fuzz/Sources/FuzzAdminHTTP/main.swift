// The admin listener's HTTP/1.1 request-head parser (/metrics, /healthz, /readyz are reachable
// without credentials): arbitrary bytes as a buffer, and every prefix of it as the parser sees a
// head arriving in pieces.
@testable import AdminHTTP

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let parser = HTTPRequestParser()
    _ = parser.parse(bytes)
    if bytes.count > 1 { _ = parser.parse(Array(bytes[..<(bytes.count / 2)])) }
    return 0
}
