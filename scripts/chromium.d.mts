export declare const CHROME_PATH: string;
export declare const CHROMIUM_ARGS: readonly string[];
export declare const LAUNCH_OPTIONS: { readonly executablePath: string; readonly args: string[]; readonly headless: true };
