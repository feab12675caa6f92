import CLinux
import Glibc

/// A failed system call, with the call's name and errno turned into text once, here.
public enum NetIOError: Error, Sendable, Equatable, CustomStringConvertible {
    case system(String, Int32)
    case invalidAddress(String)
    case resolutionFailed(String)

    public var description: String {
        switch self {
        case .system(let call, let code):
            let text = strerror(code).map { String(cString: $0) } ?? "errno \(code)"
            return "\(call) failed: \(text)"
        case .invalidAddress(let address):
            return "invalid address \(address)"
        case .resolutionFailed(let host):
            return "cannot resolve host \(host)"
        }
    }
}
