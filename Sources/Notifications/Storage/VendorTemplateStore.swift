import Messages
import Postgres
import ServiceKit

/// `vendor_templates`: which templates a vendor may send for a region, with its codes.
struct VendorTemplateStore: Sendable {
    let clock: WallClock

    func upsert(_ template: Xsc_Notifications_V1_VendorTemplate, by account: String, pool: PostgresPool) async throws -> Xsc_Notifications_V1_VendorTemplate {
        let now = clock()
        try await pool.execute("""
            INSERT INTO vendor_templates (vendor, region_code, template, template_code, sign_name, updated_at, updated_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (vendor, region_code, template) DO UPDATE SET template_code = $4, sign_name = $5, updated_at = $6,
                updated_by = $7
            """, [.text(template.vendor), .text(template.regionCode), .text(template.template), .text(template.templateCode),
                  .text(template.signName), .timestampMillis(now), .text(account)])
        var stored = template
        stored.updatedAtMs = now
        stored.updatedBy = account
        return stored
    }

    func list(vendor: String, region: String, pool: PostgresPool) async throws -> [Xsc_Notifications_V1_VendorTemplate] {
        try await pool.query("""
            SELECT vendor, region_code, template, template_code, sign_name, updated_at, updated_by FROM vendor_templates
            WHERE ($1 = '' OR vendor = $1) AND ($2 = '' OR region_code = $2) ORDER BY vendor, region_code, template
            """, [.text(vendor), .text(region)]).map(Self.decode)
    }

    func find(vendor: String, region: String, template: String, pool: PostgresPool) async throws -> Xsc_Notifications_V1_VendorTemplate? {
        try await pool.query("""
            SELECT vendor, region_code, template, template_code, sign_name, updated_at, updated_by FROM vendor_templates
            WHERE vendor = $1 AND region_code = $2 AND template = $3
            """, [.text(vendor), .text(region), .text(template)]).first.map(Self.decode)
    }

    static func decode(_ row: PostgresRow) throws -> Xsc_Notifications_V1_VendorTemplate {
        var template = Xsc_Notifications_V1_VendorTemplate()
        template.vendor = try row.decode(String.self, column: "vendor")
        template.regionCode = try row.decode(String.self, column: "region_code")
        template.template = try row.decode(String.self, column: "template")
        template.templateCode = try row.decode(String.self, column: "template_code")
        template.signName = try row.decode(String.self, column: "sign_name")
        template.updatedAtMs = try row.decode(Int64.self, column: "updated_at")
        template.updatedBy = try row.decode(String.self, column: "updated_by")
        return template
    }
}
