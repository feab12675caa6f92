import Foundation

/// A message's vendor parameters as stored (`messages.template_params`): a JSON array of
/// [name, value] pairs, so the template's order survives (Tencent's TemplateParamSet is a list).
public enum VendorParams {
    public static func encode(_ params: [VendorParam]) -> String {
        let pairs = params.map { [$0.name, $0.value] }
        guard let data = try? JSONSerialization.data(withJSONObject: pairs), let text = String(data: data, encoding: .utf8) else { return "[]" }
        return text
    }

    public static func decode(_ text: String) -> [VendorParam] {
        guard let pairs = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String]] else { return [] }
        return pairs.compactMap { $0.count == 2 ? VendorParam(name: $0[0], value: $0[1]) : nil }
    }

    /// The parameters of `template` in its declared order.
    public static func ordered(template: String, params: [String: String]) -> [VendorParam] {
        (TemplateCatalog.all[template]?.parameters ?? params.keys.sorted()).map { VendorParam(name: $0, value: params[$0] ?? "") }
    }
}
