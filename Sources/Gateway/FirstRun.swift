import Glibc
import ServiceKit

/// The first start of an empty gateway schema: creates the HQ node (/hq) and one hq_admin, whose
/// password comes from XSC_ADMIN_PASSWORD or is generated and printed once on standard output.
/// Runs as a worker beside the server; later starts find the admin and do nothing.
public struct FirstRun: BackgroundWorker {
    public let name = "first-run"
    let core: GatewayCore
    let adminPhone: String
    let adminPassword: String?

    public init(core: GatewayCore, adminPhone: String, adminPassword: String?) {
        self.core = core
        self.adminPhone = adminPhone
        self.adminPassword = adminPassword
    }

    public func start() throws {
        let run = self
        Task { await run.ensureWithRetries() }
    }

    public func stop() async {}

    func ensureWithRetries() async {
        for attempt in 1...20 {
            do {
                try await ensure()
                return
            } catch {
                core.logger.warning("first-run setup failed", ["attempt": .int(Int64(attempt)),
                                                               "error": .string(String(describing: error))])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Creates what is missing; returns the generated password when it made the admin with one.
    @discardableResult
    public func ensure() async throws -> String? {
        if try await core.org.node(path: OrgPaths.root) == nil {
            _ = try await core.org.insert(kind: .hq, slug: "hq", name: "总部 Headquarters", parentPath: nil)
        }
        guard try await core.accounts.count() == 0 else { return nil }
        guard let phone = PhoneNumber.normalise(adminPhone) else {
            core.logger.error("XSC_ADMIN_PHONE is not a mainland mobile number; no admin created")
            return nil
        }
        let generated = adminPassword == nil ? SecretToken.generate(prefix: "").prefix(20).description : nil
        let password = adminPassword ?? generated ?? ""
        let hash = try await core.hash(password)
        guard try await core.accounts.insert(name: "HQ admin", phone: phone, role: .hqAdmin, nodePath: OrgPaths.root,
                                             passwordHash: hash) != nil else { return nil }
        if let generated {
            // Printed once, on stdout only (never in the JSON log): the operator's one chance to see it.
            print("xsc-gateway first run: hq_admin phone \(phone) password \(generated) (shown once; change it with AccountService/ChangePassword)")
            fflush(stdout)
        }
        core.logger.info("first run: created the HQ node and the hq_admin account", ["phone": .string(phone)])
        return generated
    }
}
