// Builds the development server once before the component tests; each
// test file then starts its own (src/tests/server.ts).
import { buildServer } from './server';

export default function setup(): void {
  buildServer();
}
