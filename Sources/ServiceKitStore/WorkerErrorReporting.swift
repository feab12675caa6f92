/// Where workers report failures of a round (the database down, a handler's error...).
/// The default writes one JSON line to stderr; services pass their logger instead.
public typealias WorkerErrorReporter = @Sendable (_ worker: String, _ error: any Error) -> Void

public enum WorkerErrorReporting {
    public static let standardError: WorkerErrorReporter = { worker, error in
        let line = #"{"level":"error","worker":"\#(jsonEscaped(worker))","error":"\#(jsonEscaped(String(describing: error)))"}"#
        FileOutput.standardError(line + "\n")
    }

    static func jsonEscaped(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            default:
                if scalar.value < 0x20 {
                    escaped += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                        + String(scalar.value, radix: 16)
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
        }
        return escaped
    }
}
