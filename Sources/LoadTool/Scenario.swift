import Foundation

/// One scenario file of `services/<name>/loadtest/`: which workload (the RPCs it calls, written
/// in this tool) and how its requests vary (`request`, read by that workload). JSON, so that a
/// scenario is changed without rebuilding.
struct Scenario {
    struct Invalid: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// "orders-intake"
    let name: String
    /// The service it is for, and the audience of the actors minted for it ("orders").
    let service: String
    /// The workload that runs it ("orders.submit-order").
    let workload: String
    let description: String
    /// The RPCs one operation calls, for the report.
    let rpcs: [String]
    let request: Parameters

    init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw Invalid(message: "cannot read \(path)") }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw Invalid(message: "\(path) is not JSON: \(error.localizedDescription)")
        }
        guard let root = object as? [String: Any] else { throw Invalid(message: "\(path): a JSON object is expected") }
        let top = Parameters(root, at: path)
        name = try top.requiredString("scenario")
        service = try top.requiredString("service")
        workload = try top.requiredString("workload")
        description = top.string("description", default: "")
        rpcs = top.strings("rpcs")
        request = top.section("request")
    }
}

/// Typed reads of a scenario's JSON with defaults: a missing key takes the workload's default,
/// a key of the wrong type is an error naming it.
struct Parameters {
    private let values: [String: Any]
    private let path: String

    init(_ values: [String: Any], at path: String) {
        self.values = values
        self.path = path
    }

    func has(_ key: String) -> Bool { values[key] != nil }

    func requiredString(_ key: String) throws -> String {
        guard let text = values[key] as? String, !text.isEmpty else {
            throw Scenario.Invalid(message: "\(path).\(key): a non-empty string is required")
        }
        return text
    }

    func string(_ key: String, default fallback: String) -> String {
        values[key] as? String ?? fallback
    }

    func int(_ key: String, default fallback: Int) -> Int {
        (values[key] as? NSNumber)?.intValue ?? fallback
    }

    func double(_ key: String, default fallback: Double) -> Double {
        (values[key] as? NSNumber)?.doubleValue ?? fallback
    }

    func bool(_ key: String, default fallback: Bool) -> Bool {
        (values[key] as? NSNumber)?.boolValue ?? fallback
    }

    func strings(_ key: String) -> [String] {
        values[key] as? [String] ?? []
    }

    func section(_ key: String) -> Parameters {
        Parameters(values[key] as? [String: Any] ?? [:], at: "\(path).\(key)")
    }

    func sections(_ key: String) -> [Parameters] {
        (values[key] as? [[String: Any]] ?? []).enumerated().map { Parameters($1, at: "\(path).\(key)[\($0)]") }
    }
}
