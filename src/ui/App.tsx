/** Placeholder shell; replaced by the real screens. */
export function App() {
  return (
    <main>
      <h1>Weft</h1>
    </main>
  );
}
