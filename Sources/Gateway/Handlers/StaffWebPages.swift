import RPC
import ServiceAPI

/// The staff pages (services/gateway/web, built into the binary as `StaffWebAssets`), served on
/// the gateway's own origin under /app/: no CDN, no inline script (the Content-Security-Policy
/// forbids it, so an injected `<script>` in a customer's name would not run), never framed.
/// Cached by ETag: every load revalidates (`no-cache`) and an unchanged file answers 304.
public struct StaffWebPages: Sendable {
    let assets: [String: StaffWebAssets.Asset]

    public init(assets: [StaffWebAssets.Asset] = StaffWebAssets.assets) {
        var byPath: [String: StaffWebAssets.Asset] = [:]
        for asset in assets { byPath[asset.path] = asset }
        self.assets = byPath
    }

    static let securityHeaders: [(name: String, value: String)] = [
        ("content-security-policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
    ]

    /// True when `request` was a page request (answered); false to let the JSON routes answer.
    func answer(_ request: PlainHTTPRequest, _ responder: any PlainHTTPResponder) async -> Bool {
        guard request.method == "GET" || request.method == "HEAD" else { return false }
        let path = request.path
        if path == "/" || path == "/app" {
            await responder.respond(PlainHTTPResponseHead(status: 302, headers: [("location", "/app/")] + Self.securityHeaders), body: [])
            return true
        }
        guard path.hasPrefix("/app/") else { return false }
        guard let asset = assets[path == "/app/" ? "/app/index.html" : path] else {
            await responder.respond(PlainHTTPResponseHead(status: 404, headers: [("content-type", "text/plain; charset=utf-8")] + Self.securityHeaders),
                                    body: Array("没有这个页面 (no such page)\n".utf8))
            return true
        }
        var headers = Self.securityHeaders + [("etag", asset.etag), ("cache-control", "no-cache")]
        if let match = request.header("if-none-match"), match.split(separator: ",").contains(where: { $0.trimmingSpaces == asset.etag }) {
            await responder.respond(PlainHTTPResponseHead(status: 304, headers: headers), body: [])
            return true
        }
        headers.append(("content-type", asset.contentType))
        await responder.respond(PlainHTTPResponseHead(status: 200, headers: headers),
                                body: request.method == "HEAD" ? [] : Array(asset.body.utf8))
        return true
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var slice = self
        while slice.first == " " { slice = slice.dropFirst() }
        while slice.last == " " { slice = slice.dropLast() }
        return slice
    }
}
