/** Three queries a new API consumer can paste: the present, the past and the path. */
export function exampleQueries(): { title: string; query: string }[] {
  return [
    {
      title: '1. Desk bookings with desk, floor, building and team (bookings subgraph)',
      query:
        '{ deskBookings(first: 5) { nodes { id date status desk { label floor { name building { name } } } member { displayName team { name } } } } }',
    },
    {
      title: '2. A booking joined with its history across both subgraphs',
      query:
        '{ deskBookings(first: 1, orderBy: START_TIME_DESC) { nodes { id status history { nodes { eventType validFrom validTo recordedAt } } } } }',
    },
    {
      title: '3. What changed lately (change feed, audit subgraph)',
      query: '{ changes(since: "2020-01-01T00:00:00Z", first: 5) { nodes { entityType entityId eventType recordedAt } watermark } }',
    },
  ];
}

/** One write a new API consumer can paste: an event from an integration, answered with its receipt. */
export function writeExample(): { title: string; query: string } {
  return {
    title: '4. Write: publish an event (commands subgraph) and wait until the ingest recorded it',
    query:
      'mutation { publishEvents(waitForRecorded: true, events: [{ specversion: "1.0", id: "demo-write-1", source: "/demo", ' +
      'type: "phoenix.team.updated", time: "2026-01-05T09:00:00Z", entityid: "team-demo", data: { id: "team-demo", name: "Demo team" } }]) ' +
      '{ accepted results { status eventId receipt { topic partition offset recorded } problems { code path message } } } }',
  };
}
