import Foundation

/// Where a service finds its SQL migrations: `XSC_MIGRATIONS_DIR` when set, otherwise
/// `services/<name>/migrations` under the working directory. `make up` runs services from the
/// repository root and the Docker images use WORKDIR /app with the folder copied to the same
/// relative path, so the default fits both without configuration.
enum MigrationsLocation {
    static let variable = "XSC_MIGRATIONS_DIR"

    static func directory(service: String, environment: [String: String]) -> String {
        if let explicit = environment[variable], !explicit.isEmpty { return explicit }
        return "services/\(service)/migrations"
    }

    /// nil when the folder exists; otherwise the problem, worded for the operator.
    static func problem(with directory: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            let absolute = URL(fileURLWithPath: directory).standardizedFileURL.path
            return "migrations folder \(absolute) not found: run from the repository root or set \(variable)"
        }
        return nil
    }
}
