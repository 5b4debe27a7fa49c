package dev.esactors.core.torch;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A compute device named as in PyTorch: {@code cpu}, {@code cuda} or {@code cuda:N}.
 *
 * @param type  {@code cpu} or {@code cuda}
 * @param index the CUDA device index, 0 for the CPU
 */
public record DeviceSpec(String type, int index) {

    private static final Pattern SPEC = Pattern.compile("(cpu|cuda)(?::(\\d+))?");

    public static final DeviceSpec CPU = new DeviceSpec("cpu", 0);

    public DeviceSpec {
        if (!type.equals("cpu") && !type.equals("cuda")) {
            throw new IllegalArgumentException("device type must be cpu or cuda, got '" + type + "'");
        }
        if (index < 0) {
            throw new IllegalArgumentException("device index must be >= 0, got " + index);
        }
    }

    /** Parses {@code cpu}, {@code cuda}, {@code cuda:1}. */
    public static DeviceSpec parse(String text) {
        Matcher m = SPEC.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("device must be 'cpu', 'cuda' or 'cuda:N', got '" + text + "'");
        }
        int index = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
        if (m.group(1).equals("cpu") && m.group(2) != null) {
            throw new IllegalArgumentException("the cpu device takes no index, got '" + text + "'");
        }
        return new DeviceSpec(m.group(1), index);
    }

    public boolean isCuda() {
        return type.equals("cuda");
    }

    /** The LibTorch device, after checking that it exists on this machine. */
    public Device toTorch() {
        Torch.load();
        if (isCuda()) {
            if (!torch.cuda_is_available()) {
                throw new IllegalStateException("device " + this + " requested but CUDA is not available "
                        + "(CPU build of LibTorch, or no GPU): build with -Pcuda on a GPU machine");
            }
            int count = torch.cuda_device_count();
            if (index >= count) {
                throw new IllegalStateException("device " + this + " requested but only " + count
                        + " CUDA device(s) are visible");
            }
            return new Device(torch.DeviceType.CUDA, (byte) index);
        }
        return new Device(torch.DeviceType.CPU);
    }

    @Override
    public String toString() {
        return isCuda() ? "cuda:" + index : "cpu";
    }
}
