// The channels' own console sections (a script each, served from the channel's package, see
// channels/port.py ConsoleSection) start once someone is signed in, with who it is; a section
// loaded after that starts at once.

let signedInAs = null;
const waiting = [];

export function whenSignedIn(start) {
  if (signedInAs) start(signedInAs);
  else waiting.push(start);
}

export function signedIn(me) {
  signedInAs = me;
  for (const start of waiting.splice(0)) start(me);
}
