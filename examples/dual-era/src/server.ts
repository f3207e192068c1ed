#!/usr/bin/env node
// The notes server over stdio, both eras: the opening message of the connection picks the era
// (`server/discover` for 2026-07-28, `initialize` for 2025). `--modern-only` refuses 2025 callers.
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { createNotesServer } from './notes.ts';

serveStdio(
  () => {
    // serveStdio delivers the pinned instance's change notifications to listeners of either era.
    const server = createNotesServer({
      notesChanged: () => {
        void server.server.sendResourceUpdated({ uri: 'notes://all' });
        server.sendPromptListChanged();
      },
    });
    return server;
  },
  { legacy: process.argv.includes('--modern-only') ? 'reject' : 'serve' },
);
