/// <reference types="svelte" />
/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** "1": use the in-memory mock backend outside Tauri in a production build. */
  readonly VITE_TRESOR_MOCK?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
