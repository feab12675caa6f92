/// An account as the services other than the gateway know it: the gateway's directory feed
/// (`xsc.common.v1.DirectoryEntry`) as stored in each service's `xsc_directory`.
public struct DirectoryAccount: Sendable, Hashable {
    public var id: String
    public var name: String
    /// nil for a role this version does not know (a newer gateway): such an account leads nobody.
    public var role: DomainRole?
    public var nodePath: String
    public var enabled: Bool

    public init(id: String, name: String, role: DomainRole?, nodePath: String, enabled: Bool) {
        self.id = id
        self.name = name
        self.role = role
        self.nodePath = nodePath
        self.enabled = enabled
    }
}
