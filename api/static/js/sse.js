/**
 * A Server-Sent Events parser (WHATWG rules): lines end in CRLF, LF or CR; a blank line
 * dispatches; lines starting with ":" are comments; `data` lines join with "\n".
 */
export function createSseParser(dispatch) {
  let buffer = "";
  let data = [];
  let eventName = "";
  let atStart = true;

  function line(text) {
    if (text === "") {
      if (data.length) dispatch({ event: eventName || "message", data: data.join("\n") });
      data = [];
      eventName = "";
      return;
    }
    if (text[0] === ":") return;
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value[0] === " ") value = value.slice(1);
    if (field === "data") data.push(value);
    else if (field === "event") eventName = value;
    // `id` and `retry` do not matter for a one-shot POST stream.
  }

  return {
    push(chunk) {
      if (atStart && chunk) {
        chunk = chunk.replace(/^\uFEFF/, "");
        atStart = false;
      }
      buffer += chunk;
      let start = 0;
      for (let i = 0; i < buffer.length; i += 1) {
        const ch = buffer[i];
        if (ch !== "\n" && ch !== "\r") continue;
        if (ch === "\r" && i + 1 === buffer.length) break; // maybe CRLF split across chunks
        line(buffer.slice(start, i));
        if (ch === "\r" && buffer[i + 1] === "\n") i += 1;
        start = i + 1;
      }
      buffer = buffer.slice(start);
    },
    end() {
      // Lenient: dispatch a last event even if the server did not close it with a blank line.
      if (buffer) line(buffer.replace(/\r$/, ""));
      buffer = "";
      line("");
    },
  };
}
