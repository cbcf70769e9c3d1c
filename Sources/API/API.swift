import Pipeline

/// Every method the service offers, one file per namespace: each maps params to a use case
/// and its result to JSON.
public enum API {
    public static var all: [MethodDefinition] {
        SystemAPI.all + CommunityAPI.all + PeopleAPI.all + ProfileAPI.all + StudentAPI.all + LedgerAPI.all + CatalogAPI.all + ImportAPI.all
            + AvailabilityAPI.all + MeetingAPI.all + ChatAPI.all + SeriesAPI.all + OutboxAPI.all + ReportAPI.all
    }
}
