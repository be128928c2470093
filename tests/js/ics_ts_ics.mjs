// Reads .ics files with ts-ics (a TypeScript iCalendar parser used by web calendars) and prints,
// as JSON, each VEVENT's UTC start and end as ts-ics resolves them through the file's VTIMEZONE.
// Usage: node tests/js/ics_ts_ics.mjs file.ics [file.ics ...]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "..");
const { convertIcsCalendar } = require(path.join(root, "node_modules", "ts-ics", "dist", "index.cjs"));

const out = [];
for (const file of process.argv.slice(2)) {
  const calendar = convertIcsCalendar(undefined, readFileSync(file, "utf8"));
  for (const event of calendar.events || []) {
    out.push({
      file,
      uid: event.uid,
      start_utc: event.start.date.toISOString().replace(".000Z", "Z"),
      end_utc: event.end ? event.end.date.toISOString().replace(".000Z", "Z") : null,
      organizer: event.organizer ? event.organizer.email : null,
    });
  }
}
process.stdout.write(JSON.stringify(out));
