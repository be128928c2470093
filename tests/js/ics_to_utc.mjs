// Reads .ics files with ical.js (the parser behind Thunderbird and Nextcloud calendars) and
// prints, as JSON, what a calendar client would see: each VEVENT's UTC start and end
// resolved through the file's own VTIMEZONE, plus the fields the tests compare.
// Usage: node tests/js/ics_to_utc.mjs file.ics [file.ics ...]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "..");
const ICAL = require(path.join(root, "node_modules", "ical.js", "dist", "ical.es5.cjs"));

function utcIso(time) {
  const utc = time.convertToZone(ICAL.Timezone.utcTimezone);
  return utc.toString().replace(/(\.\d+)?Z?$/, "Z");
}

const out = [];
for (const file of process.argv.slice(2)) {
  const vcal = new ICAL.Component(ICAL.parse(readFileSync(file, "utf8")));
  for (const vevent of vcal.getAllSubcomponents("vevent")) {
    const event = new ICAL.Event(vevent);
    const attendee = vevent.getFirstProperty("attendee");
    const organizer = vevent.getFirstProperty("organizer");
    out.push({
      file,
      method: vcal.getFirstPropertyValue("method"),
      uid: event.uid,
      sequence: event.sequence,
      summary: event.summary,
      description: event.description,
      location: event.location,
      status: vevent.getFirstPropertyValue("status"),
      url: vevent.getFirstPropertyValue("url"),
      tzid: vevent.getFirstProperty("dtstart").getParameter("tzid") || null,
      start_utc: utcIso(event.startDate),
      end_utc: utcIso(event.endDate),
      start_zone: event.startDate.zone ? event.startDate.zone.tzid : null,
      attendee: attendee ? attendee.getFirstValue() : null,
      attendee_cn: attendee ? attendee.getParameter("cn") : null,
      attendee_rsvp: attendee ? attendee.getParameter("rsvp") : null,
      attendee_partstat: attendee ? attendee.getParameter("partstat") : null,
      attendee_role: attendee ? attendee.getParameter("role") : null,
      organizer: organizer ? organizer.getFirstValue() : null,
      organizer_cn: organizer ? organizer.getParameter("cn") : null,
    });
  }
}
process.stdout.write(JSON.stringify(out));
