// Header and metadata parsing: the input is split into name/value pairs at 0x00 bytes, made into
// the header block nghttp2 would hand over, and read as a request head (pseudo-headers,
// content-type, grpc-timeout, te), as metadata (binary -bin values) and as a grpc-timeout value.
@testable import HTTP2
@testable import RPC

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let parts = bytes.split(separator: 0, omittingEmptySubsequences: false)
    var block = HTTP2HeaderBlock()
    var index = 0
    while index + 1 < parts.count {
        let name = Array(parts[index]), value = Array(parts[index + 1])
        name.withUnsafeBufferPointer { n in value.withUnsafeBufferPointer { v in block.append(name: n, value: v) } }
        index += 2
    }
    _ = RequestHead.parse(block)
    _ = try? MetadataCodec.metadata(from: block)
    _ = MetadataCodec.firstInvalidBinaryField(in: block)
    _ = GRPCTimeout.parse(bytes[...])
    return 0
}
