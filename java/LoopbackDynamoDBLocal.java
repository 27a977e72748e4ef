import java.lang.reflect.Field;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Starts DynamoDB Local as its own main does, but listening on 127.0.0.1 only: it has no
 * option to bind an address, and its Jetty connector defaults to every interface. Arguments
 * are DynamoDB Local's own. Telemetry is never set up here (its main would, unless told
 * -disableTelemetry). Built by `npm run build:java`; the committed class is checked against
 * this source by test/store/embedded-launcher.test.ts.
 */
public final class LoopbackDynamoDBLocal {
  static final String HOST = "127.0.0.1";

  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    // The Jetty server is a private field; without it there is no safe way to start.
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server jetty = (Server) field.get(proxy);
    Connector[] connectors = jetty.getConnectors();
    if (connectors.length == 0) fail("DynamoDB Local has no connector to bind");
    for (Connector c : connectors) {
      if (!(c instanceof ServerConnector)) fail("unexpected connector " + c.getClass().getName());
      ((ServerConnector) c).setHost(HOST);
    }
    proxy.safeStart(); // start() without its telemetry event; a bind failure throws (exit 1)
    // Refuse to serve unless every listener really is on loopback.
    for (Connector c : connectors) {
      Object transport = ((ServerConnector) c).getTransport();
      InetSocketAddress bound = transport instanceof ServerSocketChannel
          ? (InetSocketAddress) ((ServerSocketChannel) transport).getLocalAddress()
          : null;
      if (bound == null || !bound.getAddress().isLoopbackAddress()) {
        proxy.stop();
        fail("listener not on loopback: " + bound);
      }
      // The parent waits for this line before it uses the store.
      System.out.println("DynamoDB Local listening on " + HOST + ":" + bound.getPort());
    }
    System.out.flush();
  }

  private static void fail(String why) {
    System.err.println("LoopbackDynamoDBLocal: " + why);
    System.exit(1);
  }
}
