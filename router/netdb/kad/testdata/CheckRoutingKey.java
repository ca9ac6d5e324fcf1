// Cross-check of routingkey_vectors.txt with the JDK, formatting the date the
// way Java I2P's net.i2p.data.router.RouterKeyGenerator does: a
// SimpleDateFormat("yyyyMMdd", Locale.US) driven by a GMT Gregorian calendar,
// the 8 ASCII bytes appended to the 32-byte hash, then SHA-256.
//
// Run (JDK 11 or later): java CheckRoutingKey.java routingkey_vectors.txt
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.text.SimpleDateFormat;
import java.util.Date;
import java.util.GregorianCalendar;
import java.util.HexFormat;
import java.util.Locale;
import java.util.TimeZone;

public class CheckRoutingKey {
    public static void main(String[] args) throws Exception {
        SimpleDateFormat fmt = new SimpleDateFormat("yyyyMMdd", Locale.US);
        fmt.setCalendar(new GregorianCalendar(TimeZone.getTimeZone("GMT")));
        HexFormat hex = HexFormat.of();
        int n = 0;
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            if (line.startsWith("#") || line.isBlank()) continue;
            String[] f = line.trim().split("\\s+");
            byte[] hash = hex.parseHex(f[0]);
            long ms = Long.parseLong(f[1]);
            String date = fmt.format(new Date(ms));
            String next = fmt.format(new Date((Math.floorDiv(ms, 86400000L) + 1) * 86400000L));
            check(date.equals(f[2]), line, "date " + date);
            check(key(hash, date).equals(f[3]), line, "key");
            check(next.equals(f[4]), line, "next date " + next);
            check(key(hash, next).equals(f[5]), line, "next key");
            n++;
        }
        System.out.println("ok: " + n + " vectors agree with java.text.SimpleDateFormat + SHA-256");
    }

    static String key(byte[] hash, String date) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(hash);
        md.update(date.getBytes("US-ASCII"));
        return HexFormat.of().formatHex(md.digest());
    }

    static void check(boolean ok, String line, String what) {
        if (!ok) throw new AssertionError(what + " mismatch: " + line);
    }
}
