import Core

/// "<code> <message>" of the AppError a rule throws, or nil where it passes.
func refusal(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let e as AppError {
        return "\(e.code.number) \(e.message)"
    } catch {
        return "\(error)"
    }
}
