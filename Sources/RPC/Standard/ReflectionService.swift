import Messages
import ProtoCodec

/// Server reflection, `grpc.reflection.v1` and the older `v1alpha` that many tools still use,
/// answered from the descriptors embedded at build time (`XSCProtoDescriptors`), so grpcurl and
/// evans work with no proto files. Register both `v1` and `v1alpha` providers.
public struct ReflectionService: Sendable {
    public static let v1ServiceName = "grpc.reflection.v1.ServerReflection"
    public static let v1alphaServiceName = "grpc.reflection.v1alpha.ServerReflection"

    let index: ReflectionIndex

    /// `serviceNames`: what the server hosts (list_services answers these; the reflection
    /// services themselves are added).
    public init(serviceNames: [String], files: [EmbeddedProtoFile] = XSCProtoDescriptors.files) {
        let all = Set(serviceNames).union([Self.v1ServiceName, Self.v1alphaServiceName])
        index = ReflectionIndex(files: files, serviceNames: Array(all))
    }

    /// Names taken from the providers the server is given.
    public init(serving providers: [any RPCServiceProvider], files: [EmbeddedProtoFile] = XSCProtoDescriptors.files) {
        self.init(serviceNames: providers.map { $0.rpcService.name }, files: files)
    }

    public var v1: ReflectionV1Provider { ReflectionV1Provider(index: index) }
    public var v1alpha: ReflectionV1AlphaProvider { ReflectionV1AlphaProvider(index: index) }
}

public struct ReflectionV1Provider: RPCServiceProvider {
    typealias Request = Grpc_Reflection_V1_ServerReflectionRequest
    typealias Response = Grpc_Reflection_V1_ServerReflectionResponse
    let index: ReflectionIndex

    public var rpcService: RPCService {
        RPCService(name: ReflectionService.v1ServiceName, methods: [
            .bidiStreaming("ServerReflectionInfo") { (requests: RequestStream<Request>, responses: ResponseStreamWriter<Response>, _: ServerContext) async throws in
                for try await request in requests { try await responses.send(self.respond(to: request)) }
            },
        ])
    }

    func respond(to request: Request) -> Response {
        let query: ReflectionIndex.Query
        switch request.messageRequest {
        case .fileByFilename(let name)?: query = .fileByFilename(name)
        case .fileContainingSymbol(let symbol)?: query = .fileContainingSymbol(symbol)
        case .fileContainingExtension(let ext)?: query = .fileContainingExtension(type: ext.containingType, number: ext.extensionNumber)
        case .allExtensionNumbersOfType(let type)?: query = .allExtensionNumbers(ofType: type)
        case .listServices?: query = .listServices
        case nil: query = .missing
        }
        var response = Response()
        response.validHost = request.host
        response.originalRequest = request
        switch index.answer(query) {
        case .files(let files):
            var body = Grpc_Reflection_V1_FileDescriptorResponse()
            body.fileDescriptorProto = files
            response.messageResponse = .fileDescriptorResponse(body)
        case .extensionNumbers(let baseType, let numbers):
            var body = Grpc_Reflection_V1_ExtensionNumberResponse()
            body.baseTypeName = baseType
            body.extensionNumber = numbers
            response.messageResponse = .allExtensionNumbersResponse(body)
        case .services(let names):
            var body = Grpc_Reflection_V1_ListServiceResponse()
            body.service = names.map { name in
                var service = Grpc_Reflection_V1_ServiceResponse()
                service.name = name
                return service
            }
            response.messageResponse = .listServicesResponse(body)
        case .error(let code, let message):
            var body = Grpc_Reflection_V1_ErrorResponse()
            body.errorCode = Int32(code.rawValue)
            body.errorMessage = message
            response.messageResponse = .errorResponse(body)
        }
        return response
    }
}

/// Same as `ReflectionV1Provider` on the v1alpha messages (identical fields, other package).
public struct ReflectionV1AlphaProvider: RPCServiceProvider {
    typealias Request = Grpc_Reflection_V1alpha_ServerReflectionRequest
    typealias Response = Grpc_Reflection_V1alpha_ServerReflectionResponse
    let index: ReflectionIndex

    public var rpcService: RPCService {
        RPCService(name: ReflectionService.v1alphaServiceName, methods: [
            .bidiStreaming("ServerReflectionInfo") { (requests: RequestStream<Request>, responses: ResponseStreamWriter<Response>, _: ServerContext) async throws in
                for try await request in requests { try await responses.send(self.respond(to: request)) }
            },
        ])
    }

    func respond(to request: Request) -> Response {
        let query: ReflectionIndex.Query
        switch request.messageRequest {
        case .fileByFilename(let name)?: query = .fileByFilename(name)
        case .fileContainingSymbol(let symbol)?: query = .fileContainingSymbol(symbol)
        case .fileContainingExtension(let ext)?: query = .fileContainingExtension(type: ext.containingType, number: ext.extensionNumber)
        case .allExtensionNumbersOfType(let type)?: query = .allExtensionNumbers(ofType: type)
        case .listServices?: query = .listServices
        case nil: query = .missing
        }
        var response = Response()
        response.validHost = request.host
        response.originalRequest = request
        switch index.answer(query) {
        case .files(let files):
            var body = Grpc_Reflection_V1alpha_FileDescriptorResponse()
            body.fileDescriptorProto = files
            response.messageResponse = .fileDescriptorResponse(body)
        case .extensionNumbers(let baseType, let numbers):
            var body = Grpc_Reflection_V1alpha_ExtensionNumberResponse()
            body.baseTypeName = baseType
            body.extensionNumber = numbers
            response.messageResponse = .allExtensionNumbersResponse(body)
        case .services(let names):
            var body = Grpc_Reflection_V1alpha_ListServiceResponse()
            body.service = names.map { name in
                var service = Grpc_Reflection_V1alpha_ServiceResponse()
                service.name = name
                return service
            }
            response.messageResponse = .listServicesResponse(body)
        case .error(let code, let message):
            var body = Grpc_Reflection_V1alpha_ErrorResponse()
            body.errorCode = Int32(code.rawValue)
            body.errorMessage = message
            response.messageResponse = .errorResponse(body)
        }
        return response
    }
}
