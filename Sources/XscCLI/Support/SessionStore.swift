import Foundation
import Glibc

/// The logged-in session, kept between commands in one small file readable only by its owner
/// (mode 600, in a folder of mode 700): $XSC_SESSION_FILE, else $XDG_CONFIG_HOME/xsc/session,
/// else ~/.config/xsc/session. The token in it is as good as the password until it expires or
/// `xsc logout` ends it, so it is never printed.
struct SavedSession: Codable {
    var gateway: String
    var token: String
    var accountID: String
    var name: String
    var phone: String
    /// DOMAIN.md role ("office_order_lead", ...).
    var role: String
    var nodePath: String
    var expiresAtMs: Int64
}

struct SessionStore {
    let path: String

    init(environment: [String: String]) {
        if let file = environment["XSC_SESSION_FILE"], !file.isEmpty {
            path = file
        } else if let config = environment["XDG_CONFIG_HOME"], !config.isEmpty {
            path = config + "/xsc/session"
        } else {
            path = (environment["HOME"] ?? NSHomeDirectory()) + "/.config/xsc/session"
        }
    }

    func load() throws(CLIError) -> SavedSession? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        guard let session = try? JSONDecoder().decode(SavedSession.self, from: data) else {
            throw .failed("the session file \(path) is damaged: run `xsc login` again")
        }
        return session
    }

    /// Writes the session; the file is created with mode 600 before anything is written to it,
    /// and an existing file is narrowed to 600 too.
    func save(_ session: SavedSession) throws(CLIError) {
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw .failed("cannot create \(folder) for the session: \(error.localizedDescription)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(session) else { throw .failed("cannot encode the session") }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw .failed("cannot write the session file \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard fchmod(descriptor, 0o600) == 0 else { throw .failed("cannot make \(path) private (mode 600)") }
        let written = data.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == data.count else { throw .failed("cannot write the session file \(path)") }
    }

    func remove() {
        unlink(path)
    }
}
