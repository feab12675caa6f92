// The gRPC deframer (RPC's MessageFramer): arbitrary bytes, fed in pieces whose sizes come from
// the input itself, then every message taken out until it asks for more or refuses.
import Glibc
@testable import RPC

/// run.sh's self-check: with XSC_FUZZ_PLANT=1 an input starting "PLANT" crashes, so the script
/// shows it notices a crash before it trusts a run with none.
let planted = getenv("XSC_FUZZ_PLANT") != nil

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let first = bytes.first else { return 0 }
    if planted && bytes.starts(with: Array("PLANT".utf8)) { fatalError("planted crash") }
    var framer = MessageFramer(maxMessageSize: 64 * 1024)
    let piece = Int(first % 17) + 1
    var offset = 1
    while offset < bytes.count {
        let end = min(bytes.count, offset + piece)
        framer.append(bytes[offset..<end])
        offset = end
        for _ in 0..<1000 {
            guard let next = framer.next() else { break }
            if case .failure = next { return 0 }
        }
    }
    return 0
}
