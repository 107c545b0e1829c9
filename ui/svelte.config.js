// Svelte compiler options shared by vite and svelte-check.
export default {
  compilerOptions: {
    runes: true,
    // Build DOM fragments element by element instead of through
    // `template.innerHTML`: nothing in the app goes through an HTML parser.
    fragments: 'tree',
  },
};
