import Core
import Pipeline
import Postgres
import RPC
import Rendering
import Store

/// The outbox's failure reports as a command: the message's row locked, one read of it beside
/// the actor's row, `DeliveryRule`, one write.
public enum OutboxUseCases {
    /// `outbox.fail`.
    public static func fail() -> CommandPlan {
        CommandPlan(
            locks: { scope, params in scope.keyLock + [OutboxStore.lockMessage(communityId: scope.communityId, id: try params.string("id"))] },
            context: { scope, params in OutboxStore.messageContext(communityId: scope.communityId, id: try params.string("id")) },
            decide: { ctx, json, params in
                let id = try params.string("id")
                guard let message = try OutboxStore.decodeMessageContext(json) else { throw AppError.notFound("outbox message", id) }
                let failure = try DeliveryRule.failure(
                    of: message, consumer: params.optionalString("consumer"), retryAfterSeconds: params.optionalInt("retry_after_seconds"), now: ctx.now)
                return Outcome(
                    response: [
                        "id": .string(id), "status": .string(failure.dead ? "dead" : "pending"), "available_at": .string(failure.availableAt.rfc3339),
                        "attempts": .int(message.attempts),
                    ],
                    apply: OutboxStore.failApply(communityId: ctx.communityId, id: id, failure, error: try params.string("error"), now: ctx.now))
            })
    }
}
