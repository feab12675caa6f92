import Foundation
import Glibc

/// Asking the person at the terminal.
enum Prompt {
    static var interactive: Bool { isatty(STDIN_FILENO) == 1 }

    /// A line typed after `label` (echoed), nil at end of input.
    static func line(_ label: String) -> String? {
        // On stderr, so that `--json` output on stdout stays JSON.
        fputs(label, stderr)
        fflush(stderr)
        return readLine(strippingNewline: true)
    }

    /// A secret typed at the terminal without echo (the terminal itself, not stdin).
    static func secret(_ label: String) -> String? {
        guard let typed = getpass(label) else { return nil }
        return String(cString: typed)
    }
}
