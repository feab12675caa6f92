/// Accumulates generated source with consistent four-space indentation.
struct CodeWriter {
    private(set) var text = ""
    private var depth = 0

    mutating func line(_ content: String = "") {
        if content.isEmpty {
            text += "\n"
        } else {
            text += String(repeating: "    ", count: depth) + content + "\n"
        }
    }

    /// Text exactly as given (the lines of a multi-line literal, which must not be indented).
    mutating func raw(_ content: String) {
        text += content
    }

    /// `opener {` body `}` (the closer may carry a suffix, e.g. `})`).
    mutating func block(_ opener: String, closer: String = "}", _ body: (inout CodeWriter) throws -> Void) rethrows {
        line(opener + " {")
        depth += 1
        try body(&self)
        depth -= 1
        line(closer)
    }

    /// `switch subject {` with `case` lines at the switch's own depth (Swift style).
    mutating func switchBlock(_ subject: String, _ body: (inout CodeWriter) throws -> Void) rethrows {
        line("switch \(subject) {")
        try body(&self)
        line("}")
    }

    mutating func indented(_ body: (inout CodeWriter) throws -> Void) rethrows {
        depth += 1
        try body(&self)
        depth -= 1
    }
}
