import DomainKit
import Foundation
import ServiceKit

/// The first start of an empty gateway schema: creates the HQ node (/hq) and one hq_admin, whose
/// password comes from XSC_ADMIN_PASSWORD or is generated and printed once on standard output.
/// Runs before the gateway listens (ServiceDefinition.beforeServing), so a login right after
/// the first SERVING finds the admin; later starts find it and do nothing.
public struct FirstRun: Sendable {
    let core: GatewayCore
    let adminPhone: String
    let adminPassword: String?

    public init(core: GatewayCore, adminPhone: String, adminPassword: String?) {
        self.core = core
        self.adminPhone = adminPhone
        self.adminPassword = adminPassword
    }

    /// Creates what is missing; returns the generated password when it made the admin with one.
    @discardableResult
    public func ensure() async throws -> String? {
        if try await core.org.node(path: OrgPath.root) == nil {
            do {
                _ = try await core.org.insert(kind: .hq, slug: "hq", name: "总部 Headquarters", parentPath: nil)
            } catch {
                // Another replica starting at the same moment may have made it first.
                guard try await core.org.node(path: OrgPath.root) != nil else { throw error }
            }
        }
        guard try await core.accounts.count() == 0 else { return nil }
        guard let phone = MainlandPhone.normaliseMobile(adminPhone) else {
            core.logger.error("XSC_ADMIN_PHONE is not a mainland mobile number; no admin created")
            return nil
        }
        let generated = adminPassword == nil ? SecretToken.generate(prefix: "").prefix(20).description : nil
        let password = adminPassword ?? generated ?? ""
        let hash = try await core.hash(password)
        guard try await core.accounts.insert(name: "HQ admin", phone: phone, role: .hqAdmin, nodePath: OrgPath.root,
                                             passwordHash: hash) != nil else { return nil }
        if let generated {
            // Printed once, on stdout only (never in the JSON log): the operator's one chance to see it.
            // FileHandle writes at once (print would sit in stdout's buffer when it is a file).
            FileHandle.standardOutput.write(Data(
                "xsc-gateway first run: hq_admin phone \(phone) password \(generated) (shown once; change it with AccountService/ChangePassword)\n".utf8))
        }
        core.logger.info("first run: created the HQ node and the hq_admin account", ["phone": .string(phone)])
        return generated
    }
}
