/** What the page shows and is doing, shared by the modules that change it. */

export const state = {
  sessionId: null,
  messages: [], // message models, in display order
  busy: false, // a question is being answered
  loading: false, // a conversation's history is being fetched
  blocked: false, // the composer is disabled (busy or loading)
  refocus: false, // give the composer focus back once unblocked
  controller: null,
  generation: 0, // bumped whenever the shown conversation changes; stale replies are dropped
  panel: { model: null, citeId: null, opener: null },
  coachName: "Career Coach", // the server's COACH_NAME, from GET /api/library
};
