import Core

public struct OpenRPCInfo: Sendable {
    public let title: String
    public let version: String
    public let description: String
    /// Bounds beyond the RPC layer's own `Limits` (pages, searches, memory), published with them.
    public let bounds: [String: JSON]
    /// More of the contract the service publishes in `info` as `x-…` members (the booking
    /// rules and where each applies), so the docs rendered from it cannot drift either.
    public let extensions: [String: JSON]

    public init(title: String, version: String, description: String, bounds: [String: JSON] = [:], extensions: [String: JSON] = [:]) {
        self.title = title
        self.version = version
        self.description = description
        self.bounds = bounds
        self.extensions = extensions
    }
}

extension Dispatcher {
    /// The OpenRPC 1.2.6 document for every registered method, built from the registry itself.
    public func openRPCDocument() -> JSON {
        let methodDocs: [JSON] = order.compactMap { methods[$0] }.map { spec in
            let params: [JSON] = spec.params.map { field in
                var p: [String: JSON] = ["name": .string(field.name), "required": .bool(field.required), "schema": field.schema.jsonSchema]
                if !field.description.isEmpty { p["description"] = .string(field.description) }
                return .object(p)
            }
            var errors: [JSON] = []
            var seen = Set<String>()
            for e in spec.errors where seen.insert(e.dataCode).inserted {
                errors.append(["code": .int(Int64(e.code.number)), "message": .string(e.dataCode), "data": ["code": .string(e.dataCode)]])
            }
            return [
                "name": .string(spec.name),
                "summary": .string(spec.summary),
                "description": .string("Who may call: \(spec.access.text)." + (spec.mutating ? " Mutating: accepts idempotency_key." : " Read-only.")),
                "paramStructure": "by-name",
                "params": .array(params),
                "result": ["name": .string(spec.name + ".result"), "schema": spec.result.jsonSchema],
                "errors": .array(errors),
            ]
        }
        let limitBounds: [String: JSON] = [
            "max_message_bytes": .int(Int64(limits.maxMessageBytes)), "max_batch_entries": .int(Int64(limits.maxBatchEntries)),
            "max_answer_bytes": .int(Int64(limits.maxAnswerBytes)), "max_string_length": .int(Int64(limits.maxStringLength)),
            "max_list_items": .int(Int64(limits.maxListItems)),
        ]
        var infoFields: [String: JSON] = [
            "title": .string(info.title), "version": .string(info.version), "description": .string(info.description),
            "x-bounds": .object(limitBounds.merging(info.bounds) { own, _ in own }),
        ]
        for (name, value) in info.extensions { infoFields["x-" + name] = value }
        return ["openrpc": "1.2.6", "info": .object(infoFields), "methods": .array(methodDocs)]
    }

    func discoverSpec() -> MethodSpec {
        MethodSpec(
            name: "rpc.discover", summary: "The OpenRPC document describing every method", access: .anyone, mutating: false,
            params: [], result: .anyJSON(description: "An OpenRPC 1.2.6 document")
        ) { [unowned self] _ in self.openRPCDocument() }
    }
}
