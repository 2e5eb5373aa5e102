package dev.conntrail.producer.hosttest;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses `ss -tanpe` output: the independent view the tests compare with. */
public final class SsView {
    public record Row(String state, String local, String peer, Integer pid, String comm, long uid, long inode, long cookie) {
    }

    private static final Pattern USERS = Pattern.compile("users:\\(\\(\"([^\"]*)\",pid=(\\d+),fd=\\d+\\)");
    private static final Pattern UID = Pattern.compile("uid:(\\d+)");
    private static final Pattern INO = Pattern.compile("ino:(\\d+)");
    private static final Pattern SK = Pattern.compile("sk:([0-9a-f]+)");

    private SsView() {
    }

    /** Rows of `ss -tanpe` in {@code netns} (null: this namespace). */
    public static List<Row> read(String netns) {
        String out = netns == null ? Sh.run("ss", "-tanpe") : TwoNamespaces.netnsExec(netns, "ss", "-tanpe");
        List<Row> rows = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 5 || f[0].equals("State")) {
                continue;
            }
            Matcher u = USERS.matcher(line);
            Matcher uid = UID.matcher(line);
            Matcher ino = INO.matcher(line);
            Matcher sk = SK.matcher(line);
            boolean hasUser = u.find();
            rows.add(new Row(f[0], f[3], f[4], hasUser ? Integer.valueOf(u.group(2)) : null, hasUser ? u.group(1) : null,
                    uid.find() ? Long.parseLong(uid.group(1)) : 0, ino.find() ? Long.parseLong(ino.group(1)) : 0,
                    sk.find() ? Long.parseUnsignedLong(sk.group(1), 16) : 0));
        }
        return rows;
    }
}
