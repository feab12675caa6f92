import DomainKit
import Messages
import RPC
import ServiceAPI

/// xsc.gateway.v1.OrgService: the organisation tree (hq_admin only, by the access policy).
public struct OrgHandler: Xsc_Gateway_V1_OrgServiceHandler {
    let core: GatewayCore

    public init(core: GatewayCore) {
        self.core = core
    }

    public func createNode(_ request: Xsc_Gateway_V1_CreateNodeRequest, context: ServerContext) async throws -> Xsc_Gateway_V1_Node {
        try await core.door.admit(context)
        var violations = FieldViolations()
        let name = request.name.trimmingWhitespace
        if !OrgPath.isValidPath(request.parentPath) { violations.add("parent_path", "must be a node path like /hq/cq") }
        if !OrgPath.isValidSlug(request.slug) {
            violations.add("slug", "1-40 lower-case letters, digits or '-', not starting or ending with '-'")
        }
        if name.isEmpty || name.count > 100 { violations.add("name", "required, at most 100 characters") }
        let level = NodeLevel(request.kind)
        if level == nil || level == .hq { violations.add("kind", "must be REGION, OFFICE, DISTRICT or TEAM") }
        try violations.check()

        guard let parent = try await core.org.node(path: request.parentPath) else { throw GatewayErrors.notFound("parent node") }
        guard let parentLevel = NodeLevel(parent.kind), parentLevel.childLevel == level, let level else {
            var wrongLevel = FieldViolations()
            wrongLevel.add("kind", "a child of a \(NodeLevel(parent.kind)?.rawValue ?? "?") node must be a \(NodeLevel(parent.kind)?.childLevel?.rawValue ?? "nothing")")
            try wrongLevel.check()
            throw GatewayErrors.notFound("parent node")
        }
        let org = core.org
        return try await core.idempotentCreate(context, scope: "CreateNode", request: request) { transaction in
            guard let node = try await org.insert(kind: level, slug: request.slug, name: name, parentPath: parent.path,
                                                  in: transaction) else {
                throw RPCError(code: .alreadyExists, message: "a node with this path already exists")
            }
            return node
        }
    }

    public func renameNode(_ request: Xsc_Gateway_V1_RenameNodeRequest, context: ServerContext) async throws -> Xsc_Gateway_V1_Node {
        try await core.door.admit(context)
        var violations = FieldViolations()
        let name = request.name.trimmingWhitespace
        if !OrgPath.isValidPath(request.path) { violations.add("path", "must be a node path like /hq/cq") }
        if name.isEmpty || name.count > 100 { violations.add("name", "required, at most 100 characters") }
        try violations.check()
        guard let node = try await core.org.rename(path: request.path, to: name) else { throw GatewayErrors.notFound("node") }
        core.logger.info("node renamed", ["path": .string(node.path)])
        return node
    }

    public func listNodes(_ request: Xsc_Gateway_V1_ListNodesRequest, context: ServerContext) async throws -> Xsc_Gateway_V1_ListNodesResponse {
        try await core.door.admit(context)
        let under = request.underPath.isEmpty ? OrgPath.root : request.underPath
        var violations = FieldViolations()
        if !OrgPath.isValidPath(under) { violations.add("under_path", "must be a node path like /hq/cq") }
        // The cursor is the last node path of the previous page.
        violations.add("page.cursor", ifProblem: LookupField.problem(request.page?.cursor ?? "", .orgPath, required: false))
        try violations.check()
        let size = GatewayCore.pageSize(request.page?.pageSize ?? 0)
        let nodes = try await core.org.list(under: under, after: request.page?.cursor ?? "", limit: size + 1)
        var response = Xsc_Gateway_V1_ListNodesResponse()
        response.nodes = Array(nodes.prefix(size))
        var info = Xsc_Common_V1_PageInfo()
        if nodes.count > size, let last = response.nodes.last { info.nextCursor = last.path }
        response.pageInfo = info
        return response
    }
}

extension String {
    var trimmingWhitespace: String {
        var slice = Substring(self)
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return String(slice)
    }
}
