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
    /// Shapes shared by several methods (a meeting, a transfer) and every error are published
    /// once, under `components`, and referred to by `$ref`.
    public func openRPCDocument() -> JSON {
        let specs = order.compactMap { methods[$0] }
        var schemas: [String: JSON] = [:]
        var conflicts = Set<String>()
        var errors: [String: JSON] = [:]
        var errorData: [String: JSON] = [:]
        let methodDocs: [JSON] = specs.map { spec in
            spec.result.collectNamedSchemas(into: &schemas, conflicts: &conflicts)
            for field in spec.params { field.schema.collectNamedSchemas(into: &schemas, conflicts: &conflicts) }
            var refs: [JSON] = []
            var listed = Set<String>()
            for e in spec.errors + Dispatcher.protocolErrors(mutating: spec.mutating) where listed.insert(e.dataCode).inserted {
                errors[e.dataCode] = ["code": .int(Int64(e.code.number)), "message": .string(e.dataCode), "data": e.publishedData]
                if let members = AppError.dataMembers[e.code] {
                    errorData[e.dataCode] = .object(Dictionary(uniqueKeysWithValues: members.map { ($0.name, JSON.string($0.about)) }))
                }
                refs.append(["$ref": .string("#/components/errors/\(e.dataCode)")])
            }
            return methodDocument(spec, errors: refs)
        }
        precondition(conflicts.isEmpty, "schema names used for two different shapes: \(conflicts.sorted())")
        let limitBounds: [String: JSON] = [
            "max_message_bytes": .int(Int64(limits.maxMessageBytes)), "max_batch_entries": .int(Int64(limits.maxBatchEntries)),
            "max_answer_bytes": .int(Int64(limits.maxAnswerBytes)), "max_batch_seconds": .int(Int64(limits.maxBatchSeconds)),
            "max_string_length": .int(Int64(limits.maxStringLength)),
            "max_list_items": .int(Int64(limits.maxListItems)), "max_nesting_depth": .int(Int64(limits.maxJSONDepth)),
            "max_integer_text_length": .int(Int64(JSON.maxIntegerLexemeLength)),
        ]
        var infoFields: [String: JSON] = [
            "title": .string(info.title), "version": .string(info.version), "description": .string(info.description),
            "x-bounds": .object(limitBounds.merging(info.bounds) { own, _ in own }),
            // What each member of an error's data holds beyond code and retryable (the error's
            // data under components.errors shows an example of each).
            "x-error-data": .object(errorData),
        ]
        for (name, value) in info.extensions { infoFields["x-" + name] = value }
        return [
            "openrpc": "1.2.6", "info": .object(infoFields), "methods": .array(methodDocs),
            "components": ["schemas": .object(schemas), "errors": .object(errors)],
        ]
    }

    func methodDocument(_ spec: MethodSpec, errors: [JSON]) -> JSON {
        let params: [JSON] = spec.params.map { field in
            // A param's own bounds as this process checks them (MEETINGLEDGER_MAX_STRING and
            // MAX_LIST_ITEMS lower them); shared shapes under components keep the standard ones.
            var p: [String: JSON] = ["name": .string(field.name), "required": .bool(field.required), "schema": field.schema.jsonSchema(limits: limits)]
            if !field.description.isEmpty { p["description"] = .string(field.description) }
            return .object(p)
        }
        var doc: [String: JSON] = [
            "name": .string(spec.name),
            "summary": .string(spec.summary),
            "description": .string(
                "Who may call: \(spec.access.text)." + (spec.mutating ? " Mutating: accepts idempotency_key." : " Read-only.")
                    + spec.paramRules.map { " \($0.text)." }.joined()),
            "paramStructure": "by-name",
            "params": .array(params),
            "result": ["name": .string(spec.name + ".result"), "schema": spec.result.jsonSchema],
            "errors": .array(errors),
        ]
        if !spec.examples.isEmpty {
            doc["examples"] = .array(spec.examples.map { example in
                [
                    "name": .string(example.name),
                    // In the order the method declares its params, as a generator lists them.
                    "params": .array(spec.params.compactMap { field in
                        example.params[field.name].map { ["name": .string(field.name), "value": $0] }
                    }),
                    "result": ["name": .string(spec.name + ".result"), "value": example.result],
                ]
            })
        }
        if !spec.aliases.isEmpty {
            doc["x-aliases"] = .array(spec.aliases.map { alias in
                [
                    "name": .string(alias.name), "deprecated": true, "removed_in": .string(alias.removedIn),
                    "description": .string("The earlier name of \(spec.name), still answered until \(alias.removedIn); call \(spec.name) instead"),
                ]
            })
        }
        return .object(doc)
    }

    /// What the RPC layer itself may answer to any call: bad params, an internal error, a call
    /// not run because meetingd is stopping, and in a batch an entry left unanswered; a read-only
    /// call's answer may be too large.
    static func protocolErrors(mutating: Bool) -> [AppError] {
        var list: [AppError] = [.invalidParams(field: "", reason: ""), .internalError(), .shuttingDown()]
        if !mutating { list.append(BatchAnswer.tooLargeError(answerBytes: 0, maxBytes: 0)) }
        list.append(BatchAnswer.fullError(maxBytes: 0))
        list.append(BatchAnswer.timeUpError(maxSeconds: 0))
        return list
    }

    func discoverSpec() -> MethodSpec {
        MethodSpec(
            name: "rpc.discover", summary: "The OpenRPC document describing every method", access: .anyone, mutating: false,
            params: [], result: .openObject(description: "An OpenRPC 1.2.6 document")
        ) { [unowned self] _ in self.openRPCDocument() }
    }
}
